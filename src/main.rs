/// mimalloc instead of the system allocator. Training allocates and frees
/// vectors the size of the whole weight matrix on every optimiser step;
/// glibc serves those above 32 MiB with fresh mmap calls, so every step
/// paid for page faults on memory it had just returned to the kernel (on
/// Fudan, system time equalled user time). mimalloc keeps freed memory for
/// reuse. Only the binary is affected: programs using the library keep
/// their own allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(docclass::cli::run());
}
