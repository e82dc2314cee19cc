//! Shamir secret sharing over GF(2^8) exactly as sops (`shamir/shamir.go`) lays it out:
//! a share is one y byte per secret byte followed by one x byte (group index + 1).

use crate::error::{Code, Error, Result};
use rand::RngCore;
use zeroize::Zeroizing;

/// Multiplication in GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        let carry = a & 0x80;
        a <<= 1;
        if carry != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    product
}

/// The multiplicative inverse (a^254); `a` must not be zero.
fn inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut exp = 254u32;
    while exp > 0 {
        if exp & 1 == 1 {
            result = mul(result, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    result
}

/// Splits `secret` into `parts` shares, any `threshold` of which recombine it.
pub fn split(secret: &[u8], parts: usize, threshold: usize) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    if threshold < 2 || parts < threshold || parts > 255 {
        return Err(Error::new(
            Code::Generic,
            format!(
                "invalid Shamir parameters: threshold {threshold} with {parts} key groups \
                 (need 2 <= threshold <= groups <= 255)"
            ),
        ));
    }
    let mut shares: Vec<Zeroizing<Vec<u8>>> = (0..parts)
        .map(|_| Zeroizing::new(Vec::with_capacity(secret.len() + 1)))
        .collect();
    let mut coefficients = Zeroizing::new(vec![0u8; threshold - 1]);
    for &byte in secret {
        rand::rngs::OsRng.fill_bytes(&mut coefficients);
        for (i, share) in shares.iter_mut().enumerate() {
            let x = (i + 1) as u8;
            // Horner's rule: f(x) = byte + a1 x + a2 x^2 + ...
            let mut y = 0u8;
            for &c in coefficients.iter().rev() {
                y = mul(y ^ c, x);
            }
            share.push(y ^ byte);
        }
    }
    for (i, share) in shares.iter_mut().enumerate() {
        share.push((i + 1) as u8);
    }
    Ok(shares)
}

/// Recombines shares (Lagrange interpolation at x = 0).
pub fn combine(shares: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>> {
    let bad = |why: &str| {
        Error::new(
            Code::CouldNotRetrieveKey,
            format!("cannot combine Shamir shares: {why}"),
        )
    };
    let first = shares.first().ok_or_else(|| bad("no shares"))?;
    let len = first.len();
    if len < 2 || shares.iter().any(|s| s.len() != len) {
        return Err(bad("shares have different or too small lengths"));
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err(bad("duplicate share"));
        }
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (j, share) in shares.iter().enumerate() {
        // Basis polynomial l_j(0) = prod_{m != j} x_m / (x_j - x_m); subtraction is XOR.
        let mut basis = 1u8;
        for (m, &xm) in xs.iter().enumerate() {
            if m != j {
                basis = mul(basis, mul(xm, inv(xs[j] ^ xm)));
            }
        }
        for (out, &y) in secret.iter_mut().zip(&share[..len - 1]) {
            *out ^= mul(y, basis);
        }
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_arithmetic() {
        assert_eq!(mul(0x57, 0x83), 0xc1); // FIPS-197 example
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1);
        }
    }

    #[test]
    fn any_threshold_subset_recombines() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 3, 2).unwrap();
        assert!(shares.iter().all(|s| s.len() == 33));
        assert_eq!(shares[2][32], 3);
        for (a, b) in [(0, 1), (0, 2), (1, 2), (2, 0)] {
            let got = combine(&[&shares[a], &shares[b]]).unwrap();
            assert_eq!(&got[..], &secret[..]);
        }
        let one = combine(&[&shares[0]]).unwrap();
        assert_ne!(&one[..], &secret[..]);
    }

    #[test]
    fn rejects_bad_parameters_and_shares() {
        assert!(split(b"k", 1, 2).is_err());
        assert!(split(b"k", 3, 1).is_err());
        let shares = split(b"key", 2, 2).unwrap();
        assert!(combine(&[&shares[0], &shares[0]]).is_err());
        assert!(combine(&[&shares[0], &shares[1][..2]]).is_err());
    }
}
