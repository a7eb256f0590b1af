// libsrtp 3 API on top of the system libsrtp 2 (Recinto's offline worker build).
//
// Why: mediasoup >= 3.15 is written against libsrtp 3 (versatica's fork,
// normally downloaded by meson). Offline, only libsrtp 2 is available
// (Debian: libsrtp2-dev). mediasoup includes <srtp.h>; this header sits first
// on the include path, includes <srtp2/srtp.h> and adds what libsrtp 3 changed
// and mediasoup calls (checked against every srtp_* use in worker/src and
// worker/include of mediasoup 3.27.1):
//   - srtp_protect / srtp_unprotect / srtp_protect_rtcp / srtp_unprotect_rtcp
//     with separate input and output buffers and size_t lengths;
//   - srtp_stream_remove;
//   - error codes srtp_err_status_buffer_small (28), srtp_err_status_cryptex_err (29);
//   - the opaque srtp_policy_t and its srtp_policy_* functions.
// Everything else mediasoup uses (srtp_init, srtp_create, srtp_dealloc,
// srtp_install_event_handler, srtp_profile_get_master_*_length, ...) has the
// same shape in libsrtp 2.
//
// C++ only: the new functions are inline C++ overloads; their parameter lists
// differ from libsrtp 2's extern "C" functions of the same name, so both
// coexist and the library's symbols are untouched.

#ifndef RECINTO_SRTP3_ON_SRTP2_H
#define RECINTO_SRTP3_ON_SRTP2_H

#ifndef __cplusplus
#error "This libsrtp 3 stand-in header is C++ only"
#endif

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

// libsrtp 3's srtp_policy_t is an opaque pointer while libsrtp 2's is a struct.
// Rename libsrtp 2's struct while its header is read (the functions keep C
// linkage, so their symbols do not change), then define the v3 name below.
#define srtp_policy_t ms_srtp2_policy_t
#include <srtp2/srtp.h>
#undef srtp_policy_t

// libsrtp 3 opaque policy handle. It points at a libsrtp 2 policy struct, so
// srtp_create(&session, policy) goes straight to libsrtp 2's srtp_create().
typedef ms_srtp2_policy_t* srtp_policy_t;

// Error codes libsrtp 3 added after libsrtp 2's last one (27).
inline constexpr srtp_err_status_t srtp_err_status_buffer_small =
  static_cast<srtp_err_status_t>(28);
inline constexpr srtp_err_status_t srtp_err_status_cryptex_err =
  static_cast<srtp_err_status_t>(29);

namespace recinto_srtp3_shim
{
	// A libsrtp 2 policy followed by room for its master key + salt (libsrtp 2
	// wants them concatenated in one buffer pointed to by policy.key).
	struct PolicyStorage
	{
		ms_srtp2_policy_t policy; // Must stay first (pointer-interconvertible).
		unsigned char key[SRTP_MAX_KEY_LEN];
		bool hasKey;
	};

	inline PolicyStorage* Storage(srtp_policy_t policy)
	{
		return reinterpret_cast<PolicyStorage*>(policy);
	}

	// Do not let key material linger in freed memory.
	inline void Wipe(void* p, size_t len)
	{
		volatile unsigned char* b = static_cast<volatile unsigned char*>(p);

		while (len--)
		{
			*b++ = 0;
		}
	}

	using V2Transform = srtp_err_status_t (*)(srtp_t, void*, int*);

	// libsrtp 3 semantics: read in_len bytes from `in`, write to `out`, whose
	// capacity is *out_len on entry; *out_len is the result length on return.
	// libsrtp 2 works in place and may grow the packet by up to `growth` bytes,
	// so copy the input into the output buffer (unless they are the same
	// buffer), check the capacity, transform in place and report the length.
	inline srtp_err_status_t Transform(
	  V2Transform fn,
	  srtp_t ctx,
	  const uint8_t* in,
	  size_t inLen,
	  uint8_t* out,
	  size_t* outLen,
	  size_t growth)
	{
		if (ctx == nullptr || in == nullptr || out == nullptr || outLen == nullptr)
		{
			return srtp_err_status_bad_param;
		}

		if (inLen > static_cast<size_t>(std::numeric_limits<int>::max()) - growth)
		{
			return srtp_err_status_bad_param;
		}

		if (*outLen < inLen + growth)
		{
			return srtp_err_status_buffer_small;
		}

		if (out != in)
		{
			std::memmove(out, in, inLen);
		}

		int len                      = static_cast<int>(inLen);
		const srtp_err_status_t err = fn(ctx, out, &len);

		if (err != srtp_err_status_ok)
		{
			return err;
		}

		*outLen = static_cast<size_t>(len);

		return srtp_err_status_ok;
	}
} // namespace recinto_srtp3_shim

/* Packet protection (libsrtp 3 signatures). MKI is not supported: index 0 only. */

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtp_len, uint8_t* srtp, size_t* srtp_len, size_t mki_index)
{
	if (mki_index != 0)
	{
		return srtp_err_status_bad_mki;
	}

	return recinto_srtp3_shim::Transform(
	  ::srtp_protect, ctx, rtp, rtp_len, srtp, srtp_len, SRTP_MAX_TRAILER_LEN);
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtp_len, uint8_t* rtp, size_t* rtp_len)
{
	return recinto_srtp3_shim::Transform(::srtp_unprotect, ctx, srtp, srtp_len, rtp, rtp_len, 0);
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcp_len, uint8_t* srtcp, size_t* srtcp_len, size_t mki_index)
{
	if (mki_index != 0)
	{
		return srtp_err_status_bad_mki;
	}

	// SRTCP also appends the 4-byte E flag + SRTCP index.
	return recinto_srtp3_shim::Transform(
	  ::srtp_protect_rtcp, ctx, rtcp, rtcp_len, srtcp, srtcp_len, SRTP_MAX_TRAILER_LEN + 4);
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcp_len, uint8_t* rtcp, size_t* rtcp_len)
{
	return recinto_srtp3_shim::Transform(
	  ::srtp_unprotect_rtcp, ctx, srtcp, srtcp_len, rtcp, rtcp_len, 0);
}

/* Streams. */

// libsrtp 3 renamed srtp_remove_stream(); the SSRC is in network byte order
// in both.
inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}

/* Policies (libsrtp 3 opaque API). */

inline srtp_err_status_t srtp_policy_create(srtp_policy_t* policy)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	auto* storage =
	  static_cast<recinto_srtp3_shim::PolicyStorage*>(std::calloc(1, sizeof(recinto_srtp3_shim::PolicyStorage)));

	if (storage == nullptr)
	{
		return srtp_err_status_alloc_fail;
	}

	// All zero: no key yet, window_size 0 (= libsrtp default), no repeat tx,
	// no MKI, no header extension encryption, next = NULL.
	storage->policy.key = storage->key;
	*policy             = &storage->policy;

	return srtp_err_status_ok;
}

inline void srtp_policy_destroy(srtp_policy_t policy)
{
	if (policy == nullptr)
	{
		return;
	}

	auto* storage = recinto_srtp3_shim::Storage(policy);

	recinto_srtp3_shim::Wipe(storage, sizeof(*storage));
	std::free(storage);
}

inline srtp_err_status_t srtp_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	policy->ssrc = ssrc;

	return srtp_err_status_ok;
}

// Sets both the SRTP and SRTCP crypto policies from an SRTP protection profile,
// using libsrtp 2's own profile helpers. As in libsrtp (and RFC 3711),
// aes128_cm_sha1_32 uses an 80-bit tag for SRTCP; the AEAD profiles use
// AES-GCM with 16-byte tags.
inline srtp_err_status_t srtp_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	srtp_err_status_t err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->rtp, profile);

	if (err != srtp_err_status_ok)
	{
		return err;
	}

	return srtp_crypto_policy_set_from_profile_for_rtcp(&policy->rtcp, profile);
}

// libsrtp 2 reads key‖salt (cipher_key_len bytes) from policy->key. One master
// key per policy, no MKI.
inline srtp_err_status_t srtp_policy_add_key(
  srtp_policy_t policy,
  const uint8_t* key,
  size_t key_len,
  const uint8_t* salt,
  size_t salt_len,
  const uint8_t* mki,
  size_t mki_len)
{
	if (policy == nullptr || key == nullptr || (salt == nullptr && salt_len != 0))
	{
		return srtp_err_status_bad_param;
	}

	if (mki != nullptr || mki_len != 0)
	{
		return srtp_err_status_bad_mki;
	}

	auto* storage = recinto_srtp3_shim::Storage(policy);

	if (storage->hasKey || key_len + salt_len > sizeof(storage->key))
	{
		return srtp_err_status_bad_param;
	}

	// When the profile is already set, the lengths must match what libsrtp 2
	// will read.
	if (
	  policy->rtp.cipher_key_len != 0 &&
	  static_cast<size_t>(policy->rtp.cipher_key_len) != key_len + salt_len)
	{
		return srtp_err_status_bad_param;
	}

	std::memcpy(storage->key, key, key_len);

	if (salt_len != 0)
	{
		std::memcpy(storage->key + key_len, salt, salt_len);
	}

	storage->hasKey = true;

	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow)
{
	if (policy == nullptr)
	{
		return srtp_err_status_bad_param;
	}

	policy->allow_repeat_tx = allow ? 1 : 0;

	return srtp_err_status_ok;
}

// libsrtp 2 accepts 0 (its default, 128) or 64 <= size < 0x8000.
inline srtp_err_status_t srtp_policy_set_window_size(srtp_policy_t policy, size_t window_size)
{
	if (policy == nullptr || (window_size != 0 && (window_size < 64 || window_size >= 0x8000)))
	{
		return srtp_err_status_bad_param;
	}

	policy->window_size = static_cast<unsigned long>(window_size);

	return srtp_err_status_ok;
}

#endif // RECINTO_SRTP3_ON_SRTP2_H
