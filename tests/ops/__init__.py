"""Tests of minikeras.ops. A package, so that its test modules may share names with those of tests/fast."""
