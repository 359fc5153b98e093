//! Guest tracking tokens: [`orderbell_core::tracking`] (pure, so the fuzz targets reach it).

pub use orderbell_core::tracking::TrackingKey;
