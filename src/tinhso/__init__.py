"""tinhso — the digital province."""
