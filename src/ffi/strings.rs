//! Owned C strings for result handles: stable pointers, zeroed when freed.

use std::ffi::c_char;
use std::ptr;
use zeroize::Zeroizing;

/// Strings (and string arrays) owned by one result handle.
#[derive(Default)]
pub(crate) struct CStrings {
    buffers: Vec<Zeroizing<Vec<u8>>>,
    arrays: Vec<Box<[*const c_char]>>,
}

impl CStrings {
    /// Copies `s` in and returns a NUL-terminated pointer valid while `self` lives.
    pub fn add(&mut self, s: &str) -> *const c_char {
        let mut bytes = Vec::with_capacity(s.len() + 1);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
        let p = bytes.as_ptr().cast();
        self.buffers.push(Zeroizing::new(bytes));
        p
    }

    /// Like [`add`](Self::add); `None` becomes NULL.
    pub fn add_opt(&mut self, s: Option<&str>) -> *const c_char {
        s.map_or(ptr::null(), |s| self.add(s))
    }

    /// Copies a list in; returns the array pointer (NULL when empty) and its length.
    pub fn add_list(&mut self, list: &[String]) -> (*const *const c_char, usize) {
        if list.is_empty() {
            return (ptr::null(), 0);
        }
        let array: Box<[*const c_char]> = list.iter().map(|s| self.add(s)).collect();
        let p = array.as_ptr();
        self.arrays.push(array);
        (p, list.len())
    }
}
