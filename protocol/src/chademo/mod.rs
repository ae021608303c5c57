//! CHAdeMO.
