<#
.SYNOPSIS
  Installs or removes berthd as a Windows service.

.DESCRIPTION
  Registers berthd.exe with the Service Control Manager so it starts at boot
  under LocalSystem (it writes gMSA credential specs under HKLM and talks to
  HCS, both of which need administrator rights). The service runs
  "berthd.exe --service --config <path>"; berthd's service host reports its
  state to the SCM, and a stop or system shutdown takes the same graceful path
  as SIGTERM on Linux. Failed runs are restarted after 5, 10 and 30 seconds.

.EXAMPLE
  .\install-berthd-service.ps1 -BinaryPath C:\berth\bin\berthd.exe -ConfigPath C:\ProgramData\berth\berth.yaml
.EXAMPLE
  .\install-berthd-service.ps1 -Uninstall
#>
[CmdletBinding(DefaultParameterSetName = 'Install')]
param(
  [Parameter(ParameterSetName = 'Install')]
  [string]$BinaryPath = "$env:ProgramFiles\berth\berthd.exe",

  [Parameter(ParameterSetName = 'Install')]
  [string]$ConfigPath = "$env:ProgramData\berth\berth.yaml",

  [Parameter(ParameterSetName = 'Install')]
  [switch]$Start,

  [Parameter(ParameterSetName = 'Uninstall', Mandatory = $true)]
  [switch]$Uninstall,

  [string]$ServiceName = 'berthd'
)

$ErrorActionPreference = 'Stop'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw "Run this script from an elevated (administrator) PowerShell."
}

$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue

if ($Uninstall) {
  if (-not $existing) {
    Write-Host "Service '$ServiceName' is not installed; nothing to do."
    return
  }
  if ($existing.Status -ne 'Stopped') {
    Write-Host "Stopping '$ServiceName' (graceful stop, same as SIGTERM)..."
    Stop-Service -Name $ServiceName
    $existing.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(60))
  }
  # Remove-Service needs PowerShell 6+; sc.exe works everywhere.
  & sc.exe delete $ServiceName | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "sc.exe delete $ServiceName failed with exit code $LASTEXITCODE" }
  Write-Host "Service '$ServiceName' removed. Its config and state directories were left in place."
  return
}

if ($existing) {
  throw "Service '$ServiceName' already exists; run with -Uninstall first to reinstall."
}
$BinaryPath = (Resolve-Path -LiteralPath $BinaryPath).Path
if (-not (Test-Path -LiteralPath $ConfigPath -PathType Leaf)) {
  throw "Config file '$ConfigPath' not found. berth.yaml on Windows needs a named-pipe listen endpoint, e.g. listen: npipe:////./pipe/berth"
}
$ConfigPath = (Resolve-Path -LiteralPath $ConfigPath).Path

# Quote both paths: Program Files has a space, and an unquoted service path with
# spaces lets Windows try C:\Program.exe first.
$commandLine = "`"$BinaryPath`" --service --config `"$ConfigPath`""

New-Service -Name $ServiceName `
  -BinaryPathName $commandLine `
  -DisplayName 'berth container runtime (CRI)' `
  -Description 'Kubernetes CRI runtime daemon (berthd). Serves the kubelet on a named pipe.' `
  -StartupType Automatic | Out-Null

# Restart after failures (5 s, 10 s, 30 s; the counter resets after a day), and
# start after the boot-critical services so HCS and networking are up.
& sc.exe failure $ServiceName reset= 86400 actions= restart/5000/restart/10000/restart/30000 | Out-Null
if ($LASTEXITCODE -ne 0) { throw "sc.exe failure $ServiceName failed with exit code $LASTEXITCODE" }
& sc.exe config $ServiceName start= delayed-auto | Out-Null

Write-Host "Installed '$ServiceName': $commandLine"
if ($Start) {
  Start-Service -Name $ServiceName
  (Get-Service -Name $ServiceName).WaitForStatus('Running', [TimeSpan]::FromSeconds(60))
  Write-Host "Service '$ServiceName' is running."
}
