# Conveniences; each target is one documented command.
.PHONY: package test clean
package:
	./packaging/build.sh
test:
	./test.sh
clean:
	rm -rf build dist
