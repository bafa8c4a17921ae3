//! The German tax identification number (steuerliche Identifikationsnummer, § 139b AO): 11
//! digits, the first not 0; in the first ten digits exactly one digit occurs twice or three times
//! (three times never in a row) and the others at most once; the last digit is the check digit
//! of ISO 7064 MOD 11,10.

use std::fmt;
use std::str::FromStr;

/// A German tax identification number whose structure and check digit are valid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxId([u8; 11]);

/// Why a text is not a valid tax identification number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaxIdError {
    /// Not 11 digits.
    #[error("a tax identification number has exactly 11 digits")]
    Length,
    /// Starts with 0.
    #[error("a tax identification number does not start with 0")]
    LeadingZero,
    /// The digit pattern of the first ten digits is impossible.
    #[error(
        "in the first ten digits of a tax identification number exactly one digit occurs two or three times (three times not in a row)"
    )]
    Pattern,
    /// The check digit does not match.
    #[error("the check digit of the tax identification number is wrong (expected {expected})")]
    CheckDigit {
        /// The check digit the first ten digits call for.
        expected: u8,
    },
}

impl TaxId {
    /// The check digit (ISO 7064 MOD 11,10) for the first ten digits.
    pub fn check_digit(body: &[u8; 10]) -> u8 {
        let mut product = 10u8;
        for &digit in body {
            let mut sum = (digit + product) % 10;
            if sum == 0 {
                sum = 10;
            }
            product = (sum * 2) % 11;
        }
        let check = 11 - product;
        if check == 10 { 0 } else { check }
    }

    /// Completes ten digits with their check digit, if their pattern is valid.
    pub fn from_body(body: [u8; 10]) -> Result<TaxId, TaxIdError> {
        if body.iter().any(|d| *d > 9) {
            return Err(TaxIdError::Length);
        }
        if body[0] == 0 {
            return Err(TaxIdError::LeadingZero);
        }
        if !valid_pattern(&body) {
            return Err(TaxIdError::Pattern);
        }
        let mut digits = [0u8; 11];
        digits[..10].copy_from_slice(&body);
        digits[10] = TaxId::check_digit(&body);
        Ok(TaxId(digits))
    }

    /// The 11 digits.
    pub fn digits(&self) -> &[u8; 11] {
        &self.0
    }
}

fn valid_pattern(body: &[u8; 10]) -> bool {
    let mut counts = [0u8; 10];
    for &d in body {
        counts[usize::from(d)] += 1;
    }
    let repeated: Vec<u8> = (0..10u8).filter(|d| counts[usize::from(*d)] > 1).collect();
    let [digit] = repeated[..] else {
        return false;
    };
    match counts[usize::from(digit)] {
        2 => true,
        3 => !body.windows(3).any(|w| w.iter().all(|d| *d == digit)),
        _ => false,
    }
}

impl FromStr for TaxId {
    type Err = TaxIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() != 11 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TaxIdError::Length);
        }
        let mut body = [0u8; 10];
        for (slot, b) in body.iter_mut().zip(s.bytes()) {
            *slot = b - b'0';
        }
        let id = TaxId::from_body(body)?;
        let given = s.as_bytes()[10] - b'0';
        if id.0[10] != given {
            return Err(TaxIdError::CheckDigit { expected: id.0[10] });
        }
        Ok(id)
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.0 {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TaxId {
    // Never print a whole identification number in debug output (logs): only the last digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TaxId(*******{}{}{}{})",
            self.0[7], self.0[8], self.0[9], self.0[10]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_and_names_what_is_wrong() {
        // The Federal Central Tax Office's published example.
        let id: TaxId = "86095742719".parse().expect("valid");
        assert_eq!(id.to_string(), "86095742719");
        assert!(!format!("{id:?}").contains("860957"));
        assert_eq!(
            "86095742718".parse::<TaxId>(),
            Err(TaxIdError::CheckDigit { expected: 9 })
        );
        assert_eq!("8609574271".parse::<TaxId>(), Err(TaxIdError::Length));
        assert_eq!("8609574271x".parse::<TaxId>(), Err(TaxIdError::Length));
        assert_eq!("06095742719".parse::<TaxId>(), Err(TaxIdError::LeadingZero));
        // No repeated digit, two repeated digits, three in a row.
        assert_eq!(
            TaxId::from_body([1, 2, 3, 4, 5, 6, 7, 8, 9, 0]),
            Err(TaxIdError::Pattern)
        );
        assert_eq!(
            TaxId::from_body([1, 1, 2, 2, 3, 4, 5, 6, 7, 8]),
            Err(TaxIdError::Pattern)
        );
        assert_eq!(
            TaxId::from_body([1, 1, 1, 2, 3, 4, 5, 6, 7, 8]),
            Err(TaxIdError::Pattern)
        );
        assert!(TaxId::from_body([1, 1, 2, 1, 3, 4, 5, 6, 7, 8]).is_ok());
    }
}
