"""The SQL the resolvers need, with the viewer's scope applied; one module per domain."""
