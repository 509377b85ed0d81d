"""acs emulator."""
