"""The functions behind the root fields: read arguments, ask the loaders or `db.queries`,
return types. No SQL here."""
