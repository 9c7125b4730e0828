"""Backup and restore of a whole instance: `tinhso backup`, `tinhso restore`."""
