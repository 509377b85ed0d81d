"""v8 emulator."""
