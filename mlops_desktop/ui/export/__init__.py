"""The export room: the report and snapshot dialogs (progress, cancel, nothing partial left
behind), running the report job and the snapshot service."""
