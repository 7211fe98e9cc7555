; Inno Setup 6 script for Winnow on Windows: installs the one-folder build that packaging/winnow.spec makes
; (dist\winnow\) for the current user — no administrator rights needed on a student's laptop — with a
; Start menu entry, an optional desktop icon and the .winnow file type.
;
;   python -m PyInstaller --noconfirm packaging\winnow.spec
;   dist\winnow\winnow-cli.exe --self-test                   (winnow-cli.exe: the console twin of winnow.exe)
;   iscc /DAppVersion=0.1.0 packaging\windows\winnow.iss      -> dist\winnow-0.1.0-windows-x64-setup.exe
;
; It cannot be built on the Linux machine the project is developed on: .github/workflows/installers.yml
; builds it on a Windows runner, where Inno Setup 6 is installed.
;
; Only English setup messages: Inno Setup's Simplified Chinese messages are an unofficial translation that
; is not installed with it. The program itself asks for its language at the first start.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
; A fixed id: a newer installer upgrades this installation instead of adding a second one.
AppId={{8F3C2B1A-6D4E-4E7B-9C35-2F1A0B7D9E61}
AppName=Winnow
AppVersion={#AppVersion}
AppVerName=Winnow {#AppVersion}
AppPublisher=Winnow
DefaultDirName={autopf}\Winnow
DefaultGroupName=Winnow
DisableProgramGroupPage=yes
; Per user by default ({autopf} is then %LOCALAPPDATA%\Programs); an administrator may still choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=winnow-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\winnow.ico
UninstallDisplayIcon={app}\winnow.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "..\..\dist\winnow\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Winnow"; Filename: "{app}\winnow.exe"
Name: "{autodesktop}\Winnow"; Filename: "{app}\winnow.exe"; Tasks: desktopicon

[Registry]
; Double-clicking a project file opens it in Winnow (HKA: the current user's classes, or the machine's).
Root: HKA; Subkey: "Software\Classes\.winnow"; ValueType: string; ValueName: ""; ValueData: "Winnow.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Winnow.Project"; ValueType: string; ValueName: ""; ValueData: "Winnow project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Winnow.Project\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\winnow.exe,0"
Root: HKA; Subkey: "Software\Classes\Winnow.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\winnow.exe"" ""%1"""

[Run]
Filename: "{app}\winnow.exe"; Description: "{cm:LaunchProgram,Winnow}"; Flags: nowait postinstall skipifsilent
