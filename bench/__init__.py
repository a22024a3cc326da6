"""`make bench`: the service side by side with its naive mode and a raw-SQL floor."""
