"""salescoord: the GraphQL back end of a B2B sales-enablement CMS."""
