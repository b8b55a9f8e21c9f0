//! The configuration file's reader: any text gives a validated configuration or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = imcluster::config::Config::from_toml(text) {
            assert!(config.validate().is_ok());
        }
    }
});
