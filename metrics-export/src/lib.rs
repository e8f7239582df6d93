//! tally's exporters (to be written).
