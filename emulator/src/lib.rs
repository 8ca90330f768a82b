//! Local emulator of the Atlas Admin API v2 (placeholder).
