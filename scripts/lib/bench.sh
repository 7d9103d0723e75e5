# Shared by the bench scripts (source it from the repository root).
# bench_binary: prints the swbuild-tui to measure: $SWBUILD_TUI, else the release binary (static
# Swift runtime), built now.
bench_binary() {
  if [ -n "${SWBUILD_TUI:-}" ]; then
    echo "$SWBUILD_TUI"
    return
  fi
  swift build -c release --static-swift-stdlib --product swbuild-tui >/dev/null || return 1
  echo "$PWD/.build/release/swbuild-tui"
}
