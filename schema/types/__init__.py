"""The object and input types of the graph. They declare fields only: a global id, the row's
values, and fields whose bodies are functions of `resolvers` (through the request's loaders,
never SQL of their own)."""
