"""Who may do what (guards) and which rows they may see (the scope)."""
