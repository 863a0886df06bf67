"""The app's pieces that are not figures: its state, the URL codec, lessons and computation."""
