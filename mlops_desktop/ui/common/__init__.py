"""What every room shares: worker threads (``TaskSlot``), error dialogs and the crash dialog,
theme and icons, item-data roles, delegates, the banner, filter bar and table factory, the
key-file field, verification-status colours, the GUI settings and the host protocol."""
