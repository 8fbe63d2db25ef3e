fn main() {
    std::process::exit(docclass::cli::run());
}
