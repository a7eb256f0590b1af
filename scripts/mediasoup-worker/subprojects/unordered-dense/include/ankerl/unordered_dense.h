// Stand-in for <ankerl/unordered_dense.h> (Recinto's offline worker build).
//
// Why: mediasoup 3.27 uses the header-only ankerl unordered_dense library,
// which meson would download; it is packaged nowhere reachable offline. This
// is NOT that library: it maps the part of its API the worker uses (checked
// against mediasoup 3.27.1's worker/src, worker/include and deps) onto the
// standard library:
//   - ankerl::unordered_dense::map<Key, T[, Hash[, KeyEqual]]>
//       -> std::unordered_map (also used with a custom Hash: PortRangeKeyHash);
//   - ankerl::unordered_dense::set<Key[, Hash[, KeyEqual]]>
//       -> std::unordered_set;
//   - ankerl::unordered_dense::hash<T>: for integers, enums and pointers a
//     64-bit bit mixer (std::hash is the identity for these in libstdc++,
//     which clusters keys such as sequential SSRCs and the worker combines
//     these hashes boost-style); std::hash<T> for everything else.
// Behavioural difference: iteration order is unspecified (the real library
// iterates in insertion order); the worker does not rely on it.

#ifndef RECINTO_ANKERL_UNORDERED_DENSE_STANDIN_H
#define RECINTO_ANKERL_UNORDERED_DENSE_STANDIN_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ankerl::unordered_dense
{
	namespace detail
	{
		// 64-bit finalizer (the SplitMix64 output function): every input bit
		// affects every output bit with about even probability.
		constexpr std::uint64_t Mix64(std::uint64_t x) noexcept
		{
			x ^= x >> 30;
			x *= UINT64_C(0xbf58476d1ce4e5b9);
			x ^= x >> 27;
			x *= UINT64_C(0x94d049bb133111eb);
			x ^= x >> 31;

			return x;
		}

		template<typename T>
		inline constexpr bool IsMixable =
		  std::is_integral_v<T> || std::is_enum_v<T> || std::is_pointer_v<T>;
	} // namespace detail

	// Generic case: defer to std::hash.
	template<typename T, typename Enable = void>
	struct hash
	{
		std::size_t operator()(const T& value) const
		  noexcept(noexcept(std::hash<T>{}(std::declval<const T&>())))
		{
			return std::hash<T>{}(value);
		}
	};

	// Integers, enums and pointers: mix the bits.
	template<typename T>
	struct hash<T, std::enable_if_t<detail::IsMixable<T>>>
	{
		std::size_t operator()(const T& value) const noexcept
		{
			std::uint64_t bits;

			if constexpr (std::is_pointer_v<T>)
			{
				bits = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(value));
			}
			else if constexpr (std::is_enum_v<T>)
			{
				bits = static_cast<std::uint64_t>(static_cast<std::underlying_type_t<T>>(value));
			}
			else
			{
				bits = static_cast<std::uint64_t>(value);
			}

			return static_cast<std::size_t>(detail::Mix64(bits));
		}
	};

	template<
	  class Key,
	  class T,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<std::pair<const Key, T>>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

	template<class Key, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>, class Allocator = std::allocator<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;
} // namespace ankerl::unordered_dense

#endif // RECINTO_ANKERL_UNORDERED_DENSE_STANDIN_H
