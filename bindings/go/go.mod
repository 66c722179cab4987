module github.com/vwo-fme/vwo-fme-go

go 1.18
