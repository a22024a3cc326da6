"""The object types of the graph. Thin: a global id, the row's values, and nested fields
that go through the request's loaders (never SQL of their own)."""
