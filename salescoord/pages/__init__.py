"""Small server-rendered pages that the links in the service's emails open (R32)."""
