# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_secret_global_optspecs
    string join \n config= verbose decryption-order= indent= d/decrypt e/encrypt r/rotate set= v/version disable-version-check= check-for-updates i/in-place output= input-type= output-type= filename-override= extract= s/show-master-keys ignore-mac a/age= p/pgp= k/kms= azure-kv= hckms= hc-vault-transit= gcp-kms= encryption-context= aws-profile= unencrypted-suffix= encrypted-suffix= unencrypted-regex= encrypted-regex= unencrypted-comment-regex= encrypted-comment-regex= mac-only-encrypted shamir-secret-sharing-threshold= add-age= rm-age= add-pgp= rm-pgp= add-kms= rm-kms= add-azure-kv= rm-azure-kv= add-hckms= rm-hckms= add-hc-vault-transit= rm-hc-vault-transit= add-gcp-kms= rm-gcp-kms= keyservice= enable-local-keyservice= h/help
end

function __fish_secret_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_secret_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_secret_using_subcommand
    set -l cmd (__fish_secret_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c secret -n "__fish_secret_needs_command" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_needs_command" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_needs_command" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_needs_command" -l set -d 'Legacy form: set \'<path> <json>\' in FILE (as `set`)' -r
complete -c secret -n "__fish_secret_needs_command" -l disable-version-check -d 'Accepted for sops compatibility (secret never checks for updates online)' -r
complete -c secret -n "__fish_secret_needs_command" -l output -d 'Write the result to PATH instead of stdout' -r -F
complete -c secret -n "__fish_secret_needs_command" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_needs_command" -l output-type -d 'Output format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_needs_command" -l filename-override -d 'Use this name instead of FILE for picking formats and the creation rule' -r -F
complete -c secret -n "__fish_secret_needs_command" -l extract -d 'Legacy decrypt: print only this part of the tree, e.g. \'["db"]["password"]\'' -r
complete -c secret -n "__fish_secret_needs_command" -s a -l age -d 'age recipients, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_needs_command" -s p -l pgp -d 'PGP fingerprints, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_needs_command" -s k -l kms -d 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_needs_command" -l azure-kv -d 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_needs_command" -l hckms -d 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_needs_command" -l hc-vault-transit -d 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_needs_command" -l gcp-kms -d 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_needs_command" -l encryption-context -d 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule\'s `kms` keys' -r
complete -c secret -n "__fish_secret_needs_command" -l aws-profile -d 'AWS shared-config profile for the --kms keys' -r
complete -c secret -n "__fish_secret_needs_command" -l unencrypted-suffix -d 'Leave values plain when a key on their path ends with SUFFIX' -r
complete -c secret -n "__fish_secret_needs_command" -l encrypted-suffix -d 'Encrypt only values where a key on their path ends with SUFFIX' -r
complete -c secret -n "__fish_secret_needs_command" -l unencrypted-regex -d 'Leave values plain when a key on their path matches REGEX' -r
complete -c secret -n "__fish_secret_needs_command" -l encrypted-regex -d 'Encrypt only values where a key on their path matches REGEX' -r
complete -c secret -n "__fish_secret_needs_command" -l unencrypted-comment-regex -d 'Leave values plain below a comment matching REGEX' -r
complete -c secret -n "__fish_secret_needs_command" -l encrypted-comment-regex -d 'Encrypt only values below a comment matching REGEX' -r
complete -c secret -n "__fish_secret_needs_command" -l shamir-secret-sharing-threshold -d 'How many key groups are needed to recover the data key' -r
complete -c secret -n "__fish_secret_needs_command" -l add-age -d 'Add these age recipients (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_needs_command" -l rm-age -d 'Remove these age recipients (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_needs_command" -l add-pgp -d 'Add these PGP fingerprints (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_needs_command" -l rm-pgp -d 'Remove these PGP fingerprints (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_needs_command" -l add-kms -d 'Add these AWS KMS ARNs (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_needs_command" -l rm-kms -d 'Remove these AWS KMS ARNs (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_needs_command" -l add-azure-kv -d 'Add these Azure Key Vault key URLs (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_needs_command" -l rm-azure-kv -d 'Remove these Azure Key Vault key URLs (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_needs_command" -l add-hckms -d 'Add these HuaweiCloud KMS key ids (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_needs_command" -l rm-hckms -d 'Remove these HuaweiCloud KMS key ids (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_needs_command" -l add-hc-vault-transit -d 'Add these Vault transit key URIs (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_needs_command" -l rm-hc-vault-transit -d 'Remove these Vault transit key URIs (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_needs_command" -l add-gcp-kms -d 'Add these GCP Cloud KMS resource ids (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_needs_command" -l rm-gcp-kms -d 'Remove these GCP Cloud KMS resource ids (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_needs_command" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_needs_command" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_needs_command" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_needs_command" -s d -l decrypt -d 'Legacy form: decrypt FILE (as `decrypt`)'
complete -c secret -n "__fish_secret_needs_command" -s e -l encrypt -d 'Legacy form: encrypt FILE (as `encrypt`)'
complete -c secret -n "__fish_secret_needs_command" -s r -l rotate -d 'Legacy form: new data key for FILE (as `rotate`)'
complete -c secret -n "__fish_secret_needs_command" -s v -l version -d 'Print the version and exit'
complete -c secret -n "__fish_secret_needs_command" -l check-for-updates -d 'With --version: say that secret does not check for updates (it works offline)'
complete -c secret -n "__fish_secret_needs_command" -s i -l in-place -d 'Write the result back to FILE (atomically, keeping its mode)'
complete -c secret -n "__fish_secret_needs_command" -s s -l show-master-keys -d 'Legacy edit: show the sops metadata (master keys) in the editor too'
complete -c secret -n "__fish_secret_needs_command" -l ignore-mac -d 'Do not check the file\'s MAC'
complete -c secret -n "__fish_secret_needs_command" -l mac-only-encrypted -d 'Authenticate only the encrypted values with the MAC'
complete -c secret -n "__fish_secret_needs_command" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_needs_command" -a "encrypt" -d 'Encrypt a file (stdout by default)'
complete -c secret -n "__fish_secret_needs_command" -a "decrypt" -d 'Decrypt a file (stdout by default)'
complete -c secret -n "__fish_secret_needs_command" -a "rotate" -d 'Generate a new data key and re-encrypt every value (stdout by default)'
complete -c secret -n "__fish_secret_needs_command" -a "updatekeys" -d 'Give files the master keys of their .sops.yaml creation rule (same data key)'
complete -c secret -n "__fish_secret_needs_command" -a "groups" -d 'Add or delete key groups (Shamir secret sharing)'
complete -c secret -n "__fish_secret_needs_command" -a "filestatus" -d 'Print {"encrypted":true} or {"encrypted":false} for a file'
complete -c secret -n "__fish_secret_needs_command" -a "edit" -d 'Edit an encrypted file in your editor (a missing file starts from an example)'
complete -c secret -n "__fish_secret_needs_command" -a "exec-env" -d 'Run a command with the decrypted values in its environment'
complete -c secret -n "__fish_secret_needs_command" -a "exec-file" -d 'Run a command with the decrypted file at the path that replaces {}'
complete -c secret -n "__fish_secret_needs_command" -a "set" -d 'Set one value of an encrypted file in place: set FILE PATH JSON-VALUE'
complete -c secret -n "__fish_secret_needs_command" -a "unset" -d 'Remove one value of an encrypted file in place: unset FILE PATH'
complete -c secret -n "__fish_secret_needs_command" -a "completion" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c secret -n "__fish_secret_needs_command" -a "init" -d 'Create an age key and a .sops.yaml for this repository'
complete -c secret -n "__fish_secret_needs_command" -a "keyservice" -d 'Serve this machine\'s keys to other secret and sops runs (sops\' gRPC key service)'
complete -c secret -n "__fish_secret_needs_command" -a "publish" -d 'Upload encrypted files where the .sops.yaml destination_rules say (S3, Vault KV)'
complete -c secret -n "__fish_secret_needs_command" -a "explain" -d 'Show which .sops.yaml, rule, recipients and selector apply to a file'
complete -c secret -n "__fish_secret_needs_command" -a "check" -d 'Fail when secrets are committed: unencrypted files under a rule, keys, tokens'
complete -c secret -n "__fish_secret_needs_command" -a "git-setup" -d 'Set up git diff and merge drivers for encrypted files (--filter: plaintext work tree)'
complete -c secret -n "__fish_secret_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l output -d 'Write the result to PATH instead of stdout' -r -F
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l output-type -d 'Output format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l filename-override -d 'Use this name instead of FILE for picking formats and the creation rule' -r -F
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l jobs -d 'How many files to work on at once' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -s a -l age -d 'age recipients, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -s p -l pgp -d 'PGP fingerprints, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -s k -l kms -d 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l azure-kv -d 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l hckms -d 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l hc-vault-transit -d 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l gcp-kms -d 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l encryption-context -d 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule\'s `kms` keys' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l aws-profile -d 'AWS shared-config profile for the --kms keys' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l unencrypted-suffix -d 'Leave values plain when a key on their path ends with SUFFIX' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l encrypted-suffix -d 'Encrypt only values where a key on their path ends with SUFFIX' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l unencrypted-regex -d 'Leave values plain when a key on their path matches REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l encrypted-regex -d 'Encrypt only values where a key on their path matches REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l unencrypted-comment-regex -d 'Leave values plain below a comment matching REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l encrypted-comment-regex -d 'Encrypt only values below a comment matching REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l shamir-secret-sharing-threshold -d 'How many key groups are needed to recover the data key' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l to -d 'Encrypt into this existing encrypted file: its data key, master keys and selector are kept, and so is the ciphertext of every value that did not change; the result replaces it (or goes to --output; `--output -`: stdout)' -r -F
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand encrypt" -s i -l in-place -d 'Write the result back to FILE (atomically, keeping its mode)'
complete -c secret -n "__fish_secret_using_subcommand encrypt" -s r -l recursive -d 'Walk the directories among the paths (symbolic links are not followed)'
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l all -d 'Every file of the git work tree under a creation rule (.gitignore respected)'
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l mac-only-encrypted -d 'Authenticate only the encrypted values with the MAC'
complete -c secret -n "__fish_secret_using_subcommand encrypt" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand encrypt" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l output -d 'Write the result to PATH instead of stdout' -r -F
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l output-type -d 'Output format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l filename-override -d 'Use this name instead of FILE for picking formats and the creation rule' -r -F
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l jobs -d 'How many files to work on at once' -r
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l extract -d 'Print only this part of the tree, e.g. \'["db"]["password"]\' or \'["list"][0]\'' -r
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand decrypt" -s i -l in-place -d 'Write the result back to FILE (atomically, keeping its mode)'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -s r -l recursive -d 'Walk the directories among the paths (symbolic links are not followed)'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l all -d 'Every file of the git work tree under a creation rule (.gitignore respected)'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l ignore-mac -d 'Do not check the file\'s MAC'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l mask -d 'Replace every decrypted value with ***** (layout and comments kept; for logs)'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l merge -d 'Decrypt FILE and MORE files into one document: a later file\'s keys override an earlier one\'s (maps are merged key by key); written as FILE\'s format'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand decrypt" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand rotate" -l output -d 'Write the result to PATH instead of stdout' -r -F
complete -c secret -n "__fish_secret_using_subcommand rotate" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand rotate" -l output-type -d 'Output format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand rotate" -l filename-override -d 'Use this name instead of FILE for picking formats and the creation rule' -r -F
complete -c secret -n "__fish_secret_using_subcommand rotate" -l add-age -d 'Add these age recipients (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l rm-age -d 'Remove these age recipients (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l add-pgp -d 'Add these PGP fingerprints (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l rm-pgp -d 'Remove these PGP fingerprints (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l add-kms -d 'Add these AWS KMS ARNs (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l rm-kms -d 'Remove these AWS KMS ARNs (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l add-azure-kv -d 'Add these Azure Key Vault key URLs (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l rm-azure-kv -d 'Remove these Azure Key Vault key URLs (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l add-hckms -d 'Add these HuaweiCloud KMS key ids (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l rm-hckms -d 'Remove these HuaweiCloud KMS key ids (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l add-hc-vault-transit -d 'Add these Vault transit key URIs (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l rm-hc-vault-transit -d 'Remove these Vault transit key URIs (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l add-gcp-kms -d 'Add these GCP Cloud KMS resource ids (comma-separated) to the first key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l rm-gcp-kms -d 'Remove these GCP Cloud KMS resource ids (comma-separated) from every key group' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l encryption-context -d 'KMS encryption context `key:value,...` for the --add-kms keys' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l aws-profile -d 'AWS shared-config profile for the --add-kms keys' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l jobs -d 'How many files to work on at once' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand rotate" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand rotate" -s i -l in-place -d 'Write the result back to FILE (atomically, keeping its mode)'
complete -c secret -n "__fish_secret_using_subcommand rotate" -l ignore-mac -d 'Do not check the file\'s MAC before rotating'
complete -c secret -n "__fish_secret_using_subcommand rotate" -s r -l recursive -d 'Walk the directories among the paths (symbolic links are not followed)'
complete -c secret -n "__fish_secret_using_subcommand rotate" -l all -d 'Every file of the git work tree under a creation rule (.gitignore respected)'
complete -c secret -n "__fish_secret_using_subcommand rotate" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand rotate" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l shamir-secret-sharing-threshold -d 'Use this Shamir threshold instead of the file\'s (capped at the number of groups)' -r
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l jobs -d 'How many files to work on at once' -r
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -s y -l yes -d 'Apply the changes without asking'
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -s r -l recursive -d 'Walk the directories among the paths (symbolic links are not followed)'
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l all -d 'Every file of the git work tree under a creation rule (.gitignore respected)'
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l rotate -d 'Also make a new data key for the files whose keys change (re-encrypting their values, so removed keys cannot read the new versions)'
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l dry-run -d 'Print what would change, change nothing'
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand updatekeys" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -f -a "add" -d 'Add a key group to a file (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -f -a "delete" -d 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand groups; and not __fish_seen_subcommand_from add delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -s f -l file -d 'The encrypted file' -r -F
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l shamir-secret-sharing-threshold -d 'How many key groups are needed to recover the data key (default: unchanged)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l age -d 'An age recipient of the new group (repeatable)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l pgp -d 'A PGP fingerprint of the new group (repeatable)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l kms -d 'An AWS KMS ARN of the new group (repeatable)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l azure-kv -d 'An Azure Key Vault key URL of the new group (repeatable)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l hckms -d 'A HuaweiCloud KMS key id `REGION:KEY-UUID` of the new group (repeatable)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l hc-vault-transit -d 'A Vault transit key URI of the new group (repeatable)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l gcp-kms -d 'A GCP Cloud KMS resource id of the new group (repeatable)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l aws-profile -d 'AWS shared-config profile for the --kms keys' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l encryption-context -d 'KMS encryption context `key:value,...` for the --kms keys' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -s i -l in-place -d 'Write the result back to the file (atomically) instead of stdout'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -s f -l file -d 'The encrypted file' -r -F
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -l shamir-secret-sharing-threshold -d 'How many key groups are needed to recover the data key (default: unchanged)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -s i -l in-place -d 'Write the result back to the file (atomically) instead of stdout'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a key group to a file (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand groups; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secret -n "__fish_secret_using_subcommand filestatus" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand filestatus" -l jobs -d 'How many files to work on at once' -r
complete -c secret -n "__fish_secret_using_subcommand filestatus" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand filestatus" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand filestatus" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand filestatus" -s r -l recursive -d 'Walk the directories among the paths (symbolic links are not followed)'
complete -c secret -n "__fish_secret_using_subcommand filestatus" -l all -d 'Every file of the git work tree under a creation rule (.gitignore respected)'
complete -c secret -n "__fish_secret_using_subcommand filestatus" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand filestatus" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand edit" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand edit" -l output-type -d 'Output format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand edit" -s a -l age -d 'age recipients, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -s p -l pgp -d 'PGP fingerprints, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -s k -l kms -d 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l azure-kv -d 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l hckms -d 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l hc-vault-transit -d 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l gcp-kms -d 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule\'s keys)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l encryption-context -d 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule\'s `kms` keys' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l aws-profile -d 'AWS shared-config profile for the --kms keys' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l unencrypted-suffix -d 'Leave values plain when a key on their path ends with SUFFIX' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l encrypted-suffix -d 'Encrypt only values where a key on their path ends with SUFFIX' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l unencrypted-regex -d 'Leave values plain when a key on their path matches REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l encrypted-regex -d 'Encrypt only values where a key on their path matches REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l unencrypted-comment-regex -d 'Leave values plain below a comment matching REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l encrypted-comment-regex -d 'Encrypt only values below a comment matching REGEX' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l shamir-secret-sharing-threshold -d 'How many key groups are needed to recover the data key' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand edit" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand edit" -s s -l show-master-keys -d 'Show the sops metadata (master keys) in the editor too'
complete -c secret -n "__fish_secret_using_subcommand edit" -l ignore-mac -d 'Do not check the file\'s MAC'
complete -c secret -n "__fish_secret_using_subcommand edit" -l mac-only-encrypted -d 'Authenticate only the encrypted values with the MAC'
complete -c secret -n "__fish_secret_using_subcommand edit" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand edit" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand exec-env" -s f -l file -d 'Read the values from these encrypted files (repeat -f; a later file\'s keys override an earlier one\'s); every argument after the options is then the command' -r -F
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l user -d 'Run the command as this user (needs the privileges to switch)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l pristine -d 'Give the command only the decrypted values, not the current environment'
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l same-process -d 'Replace secret with the command (exec) instead of running it as a child'
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l flatten -d 'Export nested values too: `db: {user: x}` becomes DB_USER=x'
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l background -d 'Start the command and return at once (deprecated in sops)'
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l mask-output -d 'Replace the secret values (and their base64 and URL-encoded forms) with ***** in the command\'s output'
complete -c secret -n "__fish_secret_using_subcommand exec-env" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand exec-env" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l filename -d 'Name of the temporary file (default: tmp-file)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l output-type -d 'Format of the decrypted file (default: the input\'s)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l user -d 'Run the command as this user (needs the privileges to switch)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l no-fifo -d 'Use a regular 0600 file instead of a named pipe'
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l background -d 'Accepted for sops compatibility (deprecated there); the command is still waited for, since the decrypted file lives only as long as secret runs'
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l mask-output -d 'Replace the secret values (and their base64 and URL-encoded forms) with ***** in the command\'s output'
complete -c secret -n "__fish_secret_using_subcommand exec-file" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand exec-file" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand set" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand set" -l output-type -d 'Output format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand set" -l shamir-secret-sharing-threshold -d 'Accepted for sops compatibility; the file\'s key groups are kept as they are' -r
complete -c secret -n "__fish_secret_using_subcommand set" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand set" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand set" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand set" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand set" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand set" -l value-file -d 'VALUE is a file to read the JSON value from (keeps it out of process listings)'
complete -c secret -n "__fish_secret_using_subcommand set" -l value-stdin -d 'Read the JSON value from standard input (VALUE is not given)'
complete -c secret -n "__fish_secret_using_subcommand set" -l idempotent -d 'Do not write when PATH already holds VALUE'
complete -c secret -n "__fish_secret_using_subcommand set" -l ignore-mac -d 'Do not check the file\'s MAC'
complete -c secret -n "__fish_secret_using_subcommand set" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand set" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand unset" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand unset" -l output-type -d 'Output format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand unset" -l shamir-secret-sharing-threshold -d 'Accepted for sops compatibility; the file\'s key groups are kept as they are' -r
complete -c secret -n "__fish_secret_using_subcommand unset" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand unset" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand unset" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand unset" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand unset" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand unset" -l idempotent -d 'Succeed without writing when PATH does not exist'
complete -c secret -n "__fish_secret_using_subcommand unset" -l ignore-mac -d 'Do not check the file\'s MAC'
complete -c secret -n "__fish_secret_using_subcommand unset" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand unset" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand completion" -l write-all -d 'Write every completion script to DIR/completions and every man page to DIR/man' -r -F
complete -c secret -n "__fish_secret_using_subcommand completion" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand completion" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand completion" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand completion" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand completion" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand init" -l path-regex -d 'Regex of the paths (relative to the .sops.yaml) that hold secrets' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l age -d 'Encrypt for this age recipient instead of a key of your own (repeatable; no key is created)' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l kms -d 'Also encrypt for these AWS KMS key ARNs (repeatable, comma-separated)' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l gcp-kms -d 'Also encrypt for these GCP Cloud KMS resource ids' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l azure-kv -d 'Also encrypt for these Azure Key Vault key URLs' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l hc-vault-transit -d 'Also encrypt for these HashiCorp Vault transit key URIs' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l hckms -d 'Also encrypt for these HuaweiCloud KMS keys (REGION:KEY-UUID)' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l pgp -d 'Also encrypt for these PGP fingerprints' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand init" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand init" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand init" -s y -l yes -d 'Ask nothing: take the flags and the defaults'
complete -c secret -n "__fish_secret_using_subcommand init" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand init" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand keyservice" -l network -l net -d 'Network to listen on: tcp, tcp4, tcp6 or unix' -r
complete -c secret -n "__fish_secret_using_subcommand keyservice" -l address -l addr -d 'Address to listen on: HOST:PORT for tcp, the socket path for unix' -r
complete -c secret -n "__fish_secret_using_subcommand keyservice" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand keyservice" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand keyservice" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand keyservice" -l prompt -d 'Ask on the terminal before answering each request'
complete -c secret -n "__fish_secret_using_subcommand keyservice" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand keyservice" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand publish" -l keyservice -d 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)' -r
complete -c secret -n "__fish_secret_using_subcommand publish" -l enable-local-keyservice -d 'Use the local key service (the default; only `=false` or the variable turn it off)' -r
complete -c secret -n "__fish_secret_using_subcommand publish" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand publish" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand publish" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand publish" -s y -l yes -d 'Upload without asking'
complete -c secret -n "__fish_secret_using_subcommand publish" -l omit-extensions -d 'Drop each file\'s last extension from its name at the destination'
complete -c secret -n "__fish_secret_using_subcommand publish" -l recursive -d 'Publish every file under the directory PATH (names keep their path below PATH)'
complete -c secret -n "__fish_secret_using_subcommand publish" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand publish" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand explain" -l input-type -d 'Input format (default: from the file name)' -r -f -a "yaml\t''
json\t''
dotenv\t''
ini\t''
toml\t''
binary\t''"
complete -c secret -n "__fish_secret_using_subcommand explain" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand explain" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand explain" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand explain" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand explain" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand check" -l allow -d 'The allow-list (default: .secretallow in the repository\'s top directory, or here)' -r -F
complete -c secret -n "__fish_secret_using_subcommand check" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand check" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand check" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand check" -s r -l recursive -d 'Check the files under the directories among the PATHs'
complete -c secret -n "__fish_secret_using_subcommand check" -l all -d 'Check every file of the git work tree (.gitignore respected; files found clean before and unchanged since are not read again)'
complete -c secret -n "__fish_secret_using_subcommand check" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand check" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand git-setup" -l command -d 'How git should call secret (default: the absolute path of this binary)' -r
complete -c secret -n "__fish_secret_using_subcommand git-setup" -l config -d 'Path to the .sops.yaml to use instead of searching up from the working directory' -r -F
complete -c secret -n "__fish_secret_using_subcommand git-setup" -l decryption-order -d 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)' -r
complete -c secret -n "__fish_secret_using_subcommand git-setup" -l indent -d 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml\'s stores settings' -r
complete -c secret -n "__fish_secret_using_subcommand git-setup" -l filter -d 'Transparent mode: plaintext in the work tree, encrypted in the index and history (a clean/smudge filter); patterns made from the creation rules\' path_regex'
complete -c secret -n "__fish_secret_using_subcommand git-setup" -l uninstall -d 'Leave the filter mode in this clone: remove the filter from .git/config and check the files under it out encrypted'
complete -c secret -n "__fish_secret_using_subcommand git-setup" -l verbose -d 'Say what is happening on stderr (never prints secrets)'
complete -c secret -n "__fish_secret_using_subcommand git-setup" -s h -l help -d 'Print help'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "encrypt" -d 'Encrypt a file (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "decrypt" -d 'Decrypt a file (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "rotate" -d 'Generate a new data key and re-encrypt every value (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "updatekeys" -d 'Give files the master keys of their .sops.yaml creation rule (same data key)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "groups" -d 'Add or delete key groups (Shamir secret sharing)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "filestatus" -d 'Print {"encrypted":true} or {"encrypted":false} for a file'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "edit" -d 'Edit an encrypted file in your editor (a missing file starts from an example)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "exec-env" -d 'Run a command with the decrypted values in its environment'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "exec-file" -d 'Run a command with the decrypted file at the path that replaces {}'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "set" -d 'Set one value of an encrypted file in place: set FILE PATH JSON-VALUE'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "unset" -d 'Remove one value of an encrypted file in place: unset FILE PATH'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "init" -d 'Create an age key and a .sops.yaml for this repository'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "keyservice" -d 'Serve this machine\'s keys to other secret and sops runs (sops\' gRPC key service)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "publish" -d 'Upload encrypted files where the .sops.yaml destination_rules say (S3, Vault KV)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "explain" -d 'Show which .sops.yaml, rule, recipients and selector apply to a file'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "check" -d 'Fail when secrets are committed: unencrypted files under a rule, keys, tokens'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "git-setup" -d 'Set up git diff and merge drivers for encrypted files (--filter: plaintext work tree)'
complete -c secret -n "__fish_secret_using_subcommand help; and not __fish_seen_subcommand_from encrypt decrypt rotate updatekeys groups filestatus edit exec-env exec-file set unset completion init keyservice publish explain check git-setup help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secret -n "__fish_secret_using_subcommand help; and __fish_seen_subcommand_from groups" -f -a "add" -d 'Add a key group to a file (stdout by default)'
complete -c secret -n "__fish_secret_using_subcommand help; and __fish_seen_subcommand_from groups" -f -a "delete" -d 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)'
