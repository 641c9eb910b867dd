<#
.SYNOPSIS
  Copy OpsForge to a host over SSH and install it there with ec2_setup.sh.

.EXAMPLE
  pwsh ./deploy_to_ec2.ps1 -KeyPath ~/.ssh/opsforge.pem -EC2Host ubuntu@203.0.113.10

.NOTES
  Copies the working tree without virtualenvs, node_modules, var/, .env, .git, build output or keys,
  into a fresh staging directory on the host, then runs `sudo bash ec2_setup.sh` from it. The API
  token stays on the host (/etc/opsforge/opsforge.env) and is never printed here.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$KeyPath,
    [Parameter(Mandatory = $true)][string]$EC2Host,
    [string]$User = "ubuntu",
    [string]$RemoteDir = "/tmp/opsforge-deploy"
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Excludes = @(".venv", "venv", "node_modules", "var", ".env", ".git", "frontend/dist", "*.pem", "*.key",
    "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache")

function Invoke-Checked([string]$Program, [string[]]$Arguments) {
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "$Program exited with code $LASTEXITCODE"
    }
}

if (-not (Test-Path -LiteralPath $KeyPath)) { throw "key file not found: $KeyPath" }
$Target = if ($EC2Host.Contains("@")) { $EC2Host } else { "$User@$EC2Host" }
$SshOptions = @("-i", $KeyPath, "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes")
$Source = $PSScriptRoot
$Archive = Join-Path ([System.IO.Path]::GetTempPath()) ("opsforge-" + [guid]::NewGuid().ToString("N") + ".tar.gz")

try {
    Write-Host "==> packing $Source (without virtualenvs, node_modules, var, .env, keys)"
    $TarArgs = @("-czf", $Archive, "-C", $Source)
    foreach ($Pattern in $Excludes) { $TarArgs += "--exclude=$Pattern" }
    $TarArgs += "."
    Invoke-Checked "tar" $TarArgs

    Write-Host "==> preparing $RemoteDir on $Target"
    Invoke-Checked "ssh" ($SshOptions + @($Target, "rm -rf '$RemoteDir' && mkdir -p '$RemoteDir'"))

    Write-Host "==> copying"
    Invoke-Checked "scp" ($SshOptions + @($Archive, "${Target}:$RemoteDir/opsforge.tar.gz"))

    Write-Host "==> installing (sudo bash ec2_setup.sh)"
    $Remote = "cd '$RemoteDir' && tar -xzf opsforge.tar.gz && rm opsforge.tar.gz && sudo bash ./ec2_setup.sh"
    Invoke-Checked "ssh" ($SshOptions + @($Target, $Remote))

    Write-Host "==> deployed; the dashboard is on http://$($Target.Split('@')[-1])/"
}
finally {
    if (Test-Path -LiteralPath $Archive) { Remove-Item -LiteralPath $Archive -Force }
}
