/*
 * ProcessPrng for Wine 8.0 (Debian 12), for the tests only: never shipped.
 *
 * Rust's standard library on Windows takes its random bytes from ProcessPrng in
 * bcryptprimitives.dll (Windows 10 and later have it). Wine added that DLL in
 * 9.0; under Debian's Wine 8.0 the .exe does not start without it (status
 * c0000135). This stand-in draws from BCryptGenRandom, which Wine 8.0 has, as
 * ProcessPrng does on Windows. tests/lab_wine.rs builds it into its Wine prefix.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
