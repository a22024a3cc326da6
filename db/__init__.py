"""Tables, sessions, migrations and the SQL the resolvers need. No GraphQL here."""
