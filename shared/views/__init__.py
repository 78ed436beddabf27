"""Read views (calendar, availability, conflicts): filled in by the read-side issue."""
