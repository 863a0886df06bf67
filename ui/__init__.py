"""The app's state, controls and views. Importing the package registers its views and lessons (as importing
``surfaces`` registers the surfaces), so the settings table knows every view and lesson a link may name."""

from . import explore, lessons, views  # noqa: F401  (registration)
