"""GraphiQL for analysts (R28): the page, the tabs it opens on, and GraphiQL's own files."""
