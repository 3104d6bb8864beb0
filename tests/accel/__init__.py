"""Tests of obclip.accel and obclip.engine.flops (the cost model)."""
