//! No escape sequence from outside reaches a terminal.
