"""The Findings page: every finding of the catalogue over the open stores."""
