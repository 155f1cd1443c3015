//! unveil permissions: the letters `rwxc`, checked by the attribute at compile time.
//!
//! What each letter grants is decided where it is enforced, in the runtime's Landlock module.

use std::fmt;

/// Permission letters of one unveil: a subset of `rwxc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Perms(u8);

impl Perms {
    /// Read.
    pub const R: Perms = Perms(1);
    /// Write (and truncate).
    pub const W: Perms = Perms(2);
    /// Execute.
    pub const X: Perms = Perms(4);
    /// Create and remove.
    pub const C: Perms = Perms(8);

    /// Parses `"rwxc"` letters; `""` hides the path.
    ///
    /// # Errors
    ///
    /// A letter outside `rwxc`, or a letter given twice.
    ///
    /// # Examples
    ///
    /// ```
    /// use sandbox_policy::Perms;
    /// assert_eq!(Perms::parse("rwc")?.to_string(), "rwc");
    /// assert!(Perms::parse("")?.bits() == 0);
    /// assert!(Perms::parse("rr").is_err() && Perms::parse("q").is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Perms, String> {
        let mut bits = 0u8;
        for ch in text.chars() {
            let bit = match ch {
                'r' => 1,
                'w' => 2,
                'x' => 4,
                'c' => 8,
                other => {
                    return Err(format!(
                        "unknown permission `{other}`: expected letters from \"rwxc\", or \"\" to hide the path"
                    ));
                }
            };
            if bits & bit != 0 {
                return Err(format!("permission `{ch}` is given twice"));
            }
            bits |= bit;
        }
        Ok(Perms(bits))
    }

    /// The raw bits (r = 1, w = 2, x = 4, c = 8).
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// From raw bits.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Perms {
        Perms(bits & 0xf)
    }

    /// Whether every permission of `other` is in `self`.
    #[must_use]
    pub const fn includes(self, other: Perms) -> bool {
        other.0 & !self.0 == 0
    }
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (bit, ch) in [(1, 'r'), (2, 'w'), (4, 'x'), (8, 'c')] {
            if self.0 & bit != 0 {
                write!(f, "{ch}")?;
            }
        }
        Ok(())
    }
}
