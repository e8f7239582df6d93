//! tally's derive macros (to be written).
