//! Encoders (owned by the encoders work).
