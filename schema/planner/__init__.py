"""The planner (issue 17): a query whose fields are columns, to-one relations and scoped
connections is answered by one statement per root field that returns the answer as JSON,
built by the database; see `extension` for when it runs, `plan` for what it reads of an
operation, `sql` for the statement, `cursors` for what is left to Python."""
