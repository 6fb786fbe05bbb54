module github.com/oauthconform/oauthconform

go 1.26.8

require (
	github.com/go-jose/go-jose/v4 v4.1.9
	gopkg.in/yaml.v3 v3.0.1
)
