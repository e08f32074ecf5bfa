#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| dockerflow_fuzz::version_json(data));
