// Keyboard shortcuts (filled in by the table/keyboard work).
