"""The settings room: the Settings dialog over ``common.settings.GuiSettings``."""
