"""The catalog room: the Models page (inventory, version detail, metric chart), the Runs and
Datasets pages, version comparison and the search palette."""
