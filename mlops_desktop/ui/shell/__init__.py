"""The shell: the main window (pages, menus, session and drops), the open-store, about and
keyboard-shortcut dialogs. The only room that imports the feature rooms."""
