"""Tests of obclip.accel and obclip.eval.flops."""
