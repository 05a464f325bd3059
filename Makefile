.PHONY: run test bench setup
run:   ; ./dev run
test:  ; ./dev test
bench: ; ./dev bench
setup: ; ./dev setup
